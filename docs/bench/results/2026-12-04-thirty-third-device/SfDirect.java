import java.io.*;
import java.net.*;
import java.nio.*;
import java.nio.channels.*;
import java.nio.file.*;
import java.security.MessageDigest;
import com.sun.nio.file.ExtendedOpenOption;

public class SfDirect {
    public static void main(String[] a) throws Exception {
        Path p = Path.of(a[0]);
        long chunk = Long.parseLong(a[1]);
        boolean direct = a.length > 2 && a[2].equals("direct");
        ServerSocketChannel ss = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        int port = ((InetSocketAddress) ss.getLocalAddress()).getPort();
        Thread reader = new Thread(() -> {
            try (SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
                long n = 0;
                while (c.read(b) >= 0) { b.flip(); n += b.remaining(); md.update(b); b.clear(); }
                System.out.printf("received %d sha256 %s%n", n, java.util.HexFormat.of().formatHex(md.digest()));
            } catch (Exception e) { e.printStackTrace(); }
        });
        reader.start();
        try (SocketChannel s = ss.accept();
             FileChannel f = direct ? FileChannel.open(p, StandardOpenOption.READ, ExtendedOpenOption.DIRECT)
                                    : FileChannel.open(p, StandardOpenOption.READ)) {
            long size = f.size(), pos = 0, calls = 0;
            long t0 = System.nanoTime();
            while (pos < size) {
                long want = Math.min(chunk, size - pos);
                long n;
                try { n = f.transferTo(pos, want, s); } catch (IOException e) { System.out.println("at " + pos + " want " + want + ": " + e); break; }
                calls++;
                if (n <= 0) { System.out.println("returned " + n + " at " + pos + " want " + want); break; }
                pos += n;
            }
            System.out.printf("sent %d of %d in %d calls, %.0f MB/s%n", pos, size, calls, pos / ((System.nanoTime() - t0) / 1e3));
        }
        reader.join();
    }
}
