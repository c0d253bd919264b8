package io.lading.core;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.regex.Pattern;

/**
 * What is wrong with a JSON body, said for the client who sent it: Jackson's message without the description of
 * its source (Jackson leaves the content out and says so, which means nothing to a client), followed by where.
 *
 * <pre>{@code
 * JsonProblems.describe(e) // "Unexpected end-of-input: expected close marker for Object (start marker at
 *                          //  line 1, column 1) at line 1, column 2"
 * }</pre>
 */
public final class JsonProblems {
    /** Jackson's "[Source: ...; line: L, column: C]" location, whose source part is removed. */
    private static final Pattern SOURCE = Pattern.compile("\\[Source: [^;\\]]*; line: (\\d+), column: (\\d+)]");

    private JsonProblems() {
    }

    public static String describe(JsonProcessingException e) {
        String message = String.valueOf(e.getOriginalMessage()).strip();
        message = SOURCE.matcher(message).replaceAll("line $1, column $2");
        JsonLocation at = e.getLocation();
        return at == null || at.getLineNr() < 1 ? message
                : message + " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    }
}
