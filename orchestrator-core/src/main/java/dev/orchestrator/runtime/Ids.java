package dev.orchestrator.runtime;

import java.security.SecureRandom;
import java.util.UUID;

/**
 * Time-ordered task ids (UUID version 7): 48 bits of Unix milliseconds, then a 12-bit counter that
 * keeps ids made in the same millisecond in order, then 62 random bits. Ids from one JVM are
 * strictly increasing; ids from several nodes are ordered to the millisecond, which is what keyset
 * pagination needs.
 */
public final class Ids {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static long lastMillis;
  private static int counter;

  private Ids() {}

  public static UUID next() {
    long millis;
    int seq;
    synchronized (Ids.class) {
      millis = System.currentTimeMillis();
      if (millis <= lastMillis) {
        millis = lastMillis;
        counter++;
        if (counter > 0xFFF) {
          millis++;
          counter = 0;
        }
      } else {
        counter = 0;
      }
      lastMillis = millis;
      seq = counter;
    }
    long msb = (millis << 16) | (0x7L << 12) | seq;
    long lsb = (RANDOM.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    return new UUID(msb, lsb);
  }
}
