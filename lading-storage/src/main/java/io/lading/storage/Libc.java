package io.lading.storage;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * Calls into the C library through the JDK's foreign function API, final from Java 22. The project compiles for
 * Java 21, where that API is a preview with other method names, so the few calls that set it up are looked up
 * reflectively; on Java 21, or where the C library lacks a function, {@link #function} returns null and the caller
 * does without it (what each caller then does is its own: fsync file by file, buffers on small pages).
 */
final class Libc {
    /** The C types of arguments and results that Lading's calls use. */
    enum Type {
        INT("JAVA_INT"), LONG("JAVA_LONG"), POINTER("ADDRESS");

        private final String layout;

        Type(String layout) {
            this.layout = layout;
        }
    }

    private static final Api API = Api.find();

    private Libc() {
    }

    /**
     * A handle on the C library's function {@code name} taking {@code arguments} and returning {@code result}, or
     * null when it cannot be had here. A {@link Type#POINTER} argument is a {@code MemorySegment}, such as a C string
     * from {@link #withString}.
     */
    static MethodHandle function(String name, Type result, Type... arguments) {
        if (API == null) {
            return null;
        }
        try {
            Optional<?> symbol = (Optional<?>) API.findSymbol.invoke(API.libc, name);
            if (symbol.isEmpty()) {
                return null;
            }
            Object layouts = Array.newInstance(API.layoutClass, arguments.length);
            for (int i = 0; i < arguments.length; i++) {
                Array.set(layouts, i, API.layout(arguments[i]));
            }
            return (MethodHandle) API.downcall.invoke(API.linker, symbol.get(),
                    API.descriptor.invoke(null, API.layout(result), layouts), API.noOptions);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Runs {@code call} with {@code text} as a C string (a {@code MemorySegment}) that lives as long as the call;
     * only when {@link #function} gave a handle, which means the API is there.
     */
    static <T> T withString(String text, StringCall<T> call) throws Throwable {
        try (AutoCloseable arena = (AutoCloseable) API.ofConfined.invoke(null)) {
            return call.apply(API.allocateFrom.invoke(arena, text));
        }
    }

    /** The address of a direct buffer's first byte (at index 0), or -1 when the API is not there. */
    static long address(ByteBuffer direct) throws ReflectiveOperationException {
        return API == null ? -1 : (long) API.address.invoke(API.ofBuffer.invoke(null, direct.duplicate().clear()));
    }

    /** A call that takes a C string. */
    interface StringCall<T> {
        T apply(Object string) throws Throwable;
    }

    /** The reflective entry points of the foreign function API, looked up once. */
    private record Api(Object linker, Object libc, Method findSymbol, Method descriptor, Method downcall,
                       Object noOptions, Class<?> layoutClass, Class<?> valueLayoutClass, Method ofConfined,
                       Method allocateFrom, Method ofBuffer, Method address) {

        static Api find() {
            if (Runtime.version().feature() < 22) {
                return null; // the API is a preview in 21, with other method names
            }
            try {
                Class<?> linkerClass = Class.forName("java.lang.foreign.Linker");
                Class<?> segmentClass = Class.forName("java.lang.foreign.MemorySegment");
                Class<?> layoutClass = Class.forName("java.lang.foreign.MemoryLayout");
                Class<?> descriptorClass = Class.forName("java.lang.foreign.FunctionDescriptor");
                Class<?> optionClass = Class.forName("java.lang.foreign.Linker$Option");
                Object linker = linkerClass.getMethod("nativeLinker").invoke(null);
                return new Api(linker, linkerClass.getMethod("defaultLookup").invoke(linker),
                        Class.forName("java.lang.foreign.SymbolLookup").getMethod("find", String.class),
                        descriptorClass.getMethod("of", layoutClass, layoutClass.arrayType()),
                        linkerClass.getMethod("downcallHandle", segmentClass, descriptorClass,
                                optionClass.arrayType()),
                        Array.newInstance(optionClass, 0), layoutClass,
                        Class.forName("java.lang.foreign.ValueLayout"),
                        Class.forName("java.lang.foreign.Arena").getMethod("ofConfined"),
                        Class.forName("java.lang.foreign.SegmentAllocator").getMethod("allocateFrom", String.class),
                        segmentClass.getMethod("ofBuffer", Buffer.class), segmentClass.getMethod("address"));
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }

        Object layout(Type type) throws ReflectiveOperationException {
            return valueLayoutClass.getField(type.layout).get(null);
        }
    }
}
