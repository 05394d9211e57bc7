//! Resource-manager (RM) object model: typed handles, the RmControl trait, and backends.
