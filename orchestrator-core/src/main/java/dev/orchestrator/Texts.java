package dev.orchestrator;

/**
 * Text every store can keep. SQL text columns refuse U+0000 and unpaired UTF-16 surrogates, so
 * input holding them is refused at submit time, and text the orchestrator produces itself (outputs,
 * error messages, reasons) has them replaced by U+FFFD.
 */
public final class Texts {
  /** What stands in for a character no store can keep. */
  public static final char REPLACEMENT = '\uFFFD';

  private Texts() {}

  /** True when every store can keep the text as it is. */
  public static boolean isStorable(String text) {
    return text == null || firstUnstorable(text) < 0;
  }

  /** The text with every U+0000 and unpaired surrogate replaced by U+FFFD. */
  public static String storable(String text) {
    if (text == null || firstUnstorable(text) < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        out.append(c).append(text.charAt(++i));
      } else if (c == 0 || Character.isSurrogate(c)) {
        out.append(REPLACEMENT);
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static int firstUnstorable(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (c == 0 || Character.isSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }
}
