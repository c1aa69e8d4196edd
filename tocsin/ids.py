"""Column types shared by every domain's tables."""

from sqlalchemy import BigInteger, Integer

# BIGINT on PostgreSQL; SQLite only auto-increments a column declared exactly INTEGER.
IdType = BigInteger().with_variant(Integer(), "sqlite")
