package dev.assay

/** Shell command lines for the assay steps: every value is passed as one literal argument. */
class Shell {
    /** Quote one word for a POSIX shell: the result is always a single literal argument. */
    static String quote(String word) {
        return "'" + word.replace("'", "'\"'\"'") + "'"
    }

    /** A command line of quoted words. */
    static String command(List words) {
        return words.collect { quote(it.toString()) }.join(' ')
    }
}
