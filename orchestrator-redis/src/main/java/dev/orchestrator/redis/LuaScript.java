package dev.orchestrator.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * A Lua script run by its SHA-1 ({@code EVALSHA}), sent whole ({@code EVAL}, which also caches it)
 * only when the server does not know it yet: after a restart, a {@code SCRIPT FLUSH} or on a new
 * cluster node.
 */
final class LuaScript {
  private final String text;
  private final String sha;

  LuaScript(String text) {
    this.text = text;
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
      this.sha = HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is part of every JVM", e);
    }
  }

  Object run(UnifiedJedis jedis, List<String> keys, List<String> args) {
    try {
      return jedis.evalsha(sha, keys, args);
    } catch (JedisNoScriptException e) {
      return jedis.eval(text, keys, args);
    }
  }
}
