package dev.orchestrator.jdbc;

import dev.orchestrator.OrchestratorException;
import java.sql.SQLException;

/**
 * PostgreSQL could not carry out a store operation: the database is unreachable, a statement
 * failed, the schema is missing. Nothing of the failed operation was written (each operation is one
 * transaction). {@link #sqlState()} tells the cause in PostgreSQL's terms.
 */
public class StoreException extends OrchestratorException {
  private static final long serialVersionUID = 1L;

  /** SQLSTATE of a unique violation. */
  static final String UNIQUE_VIOLATION = "23505";

  private final String sqlState;

  public StoreException(String message, SQLException cause) {
    super(message, cause);
    this.sqlState = cause.getSQLState();
  }

  static StoreException of(SQLException e) {
    return new StoreException(e.getMessage(), e);
  }

  /** The SQLSTATE of the failure, e.g. {@code 08006} for a lost connection; may be null. */
  public String sqlState() {
    return sqlState;
  }

  /**
   * True when the connection was lost: SQLSTATE class 08 (connection exception) or 57P01 to 57P03
   * (the server is shutting down or starting up, or ended the session).
   */
  public boolean isConnectionLoss() {
    return sqlState != null && (sqlState.startsWith("08") || sqlState.matches("57P0[123]"));
  }

  /** True when the failure broke a unique constraint or index with this name. */
  boolean violates(String constraint) {
    return UNIQUE_VIOLATION.equals(sqlState)
        && getCause() instanceof org.postgresql.util.PSQLException p
        && p.getServerErrorMessage() != null
        && constraint.equals(p.getServerErrorMessage().getConstraint());
  }
}
