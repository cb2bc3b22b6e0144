package rnnrosetta.demo;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.Reader;

/**
 * Reads one JSON document into a Gson {@link JsonElement} tree with Gson's streaming
 * reader in strict mode (no NaN, comments or trailing data), refusing duplicate keys and
 * nesting deeper than {@link #MAX_DEPTH}. Numbers become {@link NumberLiteral}s.
 */
final class StrictJson {
    /** A fixture nests 6 deep; anything far deeper is refused before it can exhaust the stack. */
    static final int MAX_DEPTH = 64;

    /** Thrown for JSON that is not well formed; the message is one line. */
    static final class SyntaxError extends Exception {
        private static final long serialVersionUID = 1L;

        SyntaxError(String message) {
            super(message);
        }
    }

    private StrictJson() {
    }

    /**
     * Parses a whole document.
     *
     * @throws SyntaxError for malformed JSON, duplicate keys or too deep nesting
     * @throws IOException when the reader fails
     */
    static JsonElement parse(Reader source) throws SyntaxError, IOException {
        JsonReader in = new JsonReader(source);
        in.setLenient(false);
        try {
            JsonElement root = value(in, 0);
            if (in.peek() != JsonToken.END_DOCUMENT) {
                throw new SyntaxError("invalid JSON: trailing data after the top-level value");
            }
            return root;
        } catch (com.google.gson.stream.MalformedJsonException e) {
            throw new SyntaxError("invalid JSON: " + cleanGsonMessage(e.getMessage()));
        } catch (java.io.EOFException e) {
            throw new SyntaxError("invalid JSON: unexpected end of file");
        } catch (IllegalStateException | NumberFormatException e) {
            throw new SyntaxError("invalid JSON: " + cleanGsonMessage(e.getMessage()));
        }
    }

    private static JsonElement value(JsonReader in, int depth) throws SyntaxError, IOException {
        if (depth > MAX_DEPTH) {
            throw new SyntaxError("invalid JSON: nesting deeper than " + MAX_DEPTH + " at " + path(in));
        }
        switch (in.peek()) {
            case BEGIN_ARRAY: {
                JsonArray array = new JsonArray();
                in.beginArray();
                while (in.hasNext()) {
                    array.add(value(in, depth + 1));
                }
                in.endArray();
                return array;
            }
            case BEGIN_OBJECT: {
                JsonObject object = new JsonObject();
                in.beginObject();
                while (in.hasNext()) {
                    String name = in.nextName();
                    if (object.has(name)) {
                        throw new SyntaxError("invalid JSON: duplicate key " + Texts.quote(name)
                                + " at " + path(in));
                    }
                    object.add(name, value(in, depth + 1));
                }
                in.endObject();
                return object;
            }
            case STRING:
                return new JsonPrimitive(in.nextString());
            case NUMBER:
                return new JsonPrimitive(new NumberLiteral(in.nextString()));
            case BOOLEAN:
                return new JsonPrimitive(in.nextBoolean());
            case NULL:
                in.nextNull();
                return JsonNull.INSTANCE;
            default:
                throw new SyntaxError("invalid JSON: unexpected " + in.peek() + " at " + path(in));
        }
    }

    /** Gson's path ("$.model.layers[0]") without the "$." prefix. */
    private static String path(JsonReader in) {
        String p = in.getPath();
        if (p.startsWith("$.")) {
            p = p.substring(2);
        } else if (p.equals("$")) {
            return "the top level";
        }
        return p.length() > 80 ? p.substring(0, 77) + "..." : p;
    }

    /** Gson's messages, minus its advice to switch to lenient parsing. */
    private static String cleanGsonMessage(String message) {
        if (message == null) {
            return "malformed input";
        }
        String m = message.replace("Use JsonReader.setLenient(true) to accept malformed JSON", "syntax error");
        int see = m.indexOf("\nSee ");
        if (see >= 0) {
            m = m.substring(0, see);
        }
        return Texts.oneLine(m);
    }
}
