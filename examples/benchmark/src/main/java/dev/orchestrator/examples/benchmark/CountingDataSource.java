package dev.orchestrator.examples.benchmark;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;

/**
 * Counts the statements a store sends: a proxy over the DataSource, its connections and their
 * statements that adds one for every call of a method whose name starts with {@code execute}
 * ({@code execute}, {@code executeQuery}, {@code executeUpdate}, {@code executeBatch}, ...). A
 * batch counts once, however many rows it carries: it is one round trip. Everything else, {@code
 * unwrap} included, goes to the real object.
 */
final class CountingDataSource {
  private CountingDataSource() {}

  static DataSource wrap(DataSource target, LongAdder statements) {
    return proxy(DataSource.class, target, statements);
  }

  private static <T> T proxy(Class<T> type, Object target, LongAdder statements) {
    InvocationHandler handler =
        (proxy, method, args) -> {
          if (method.getName().startsWith("execute")) {
            statements.increment();
          }
          Object result;
          try {
            result = method.invoke(target, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          return wrapResult(method, result, statements);
        };
    return type.cast(
        Proxy.newProxyInstance(
            CountingDataSource.class.getClassLoader(), new Class<?>[] {type}, handler));
  }

  /** Connections and statements handed out are counted too. */
  private static Object wrapResult(Method method, Object result, LongAdder statements) {
    if (result == null) {
      return null;
    }
    Class<?> declared = method.getReturnType();
    if (declared == Connection.class
        || declared == Statement.class
        || declared == PreparedStatement.class
        || declared == CallableStatement.class) {
      return proxy(declared, result, statements);
    }
    return result;
  }
}
