-- Tailor's event store (D1). One row per (experiment, visitor), per order, and per
-- (segment | content, visitor): never one per page view. See src/events.rs.

-- A visitor's first exposure to an experiment (the earliest wins on redelivery).
CREATE TABLE IF NOT EXISTS exposures (
  experiment TEXT NOT NULL,
  visitor TEXT NOT NULL,
  variant INTEGER NOT NULL,
  first_at INTEGER NOT NULL, -- ms since the epoch
  PRIMARY KEY (experiment, visitor)
) WITHOUT ROWID;

-- Orders, by the store's order id: a webhook or conversion delivered twice is one order.
CREATE TABLE IF NOT EXISTS orders (
  order_id TEXT PRIMARY KEY,
  visitor TEXT NOT NULL,
  revenue REAL NOT NULL,
  at INTEGER NOT NULL -- ms since the epoch
);
CREATE INDEX IF NOT EXISTS orders_by_visitor ON orders (visitor, at);

-- The audit: who matched each segment, first and last day (days since the epoch, UTC).
CREATE TABLE IF NOT EXISTS segment_visitors (
  segment TEXT NOT NULL,
  visitor TEXT NOT NULL,
  first_day INTEGER NOT NULL,
  last_day INTEGER NOT NULL,
  PRIMARY KEY (segment, visitor)
) WITHOUT ROWID;

-- The audit: who was served each slot content, first and last day.
CREATE TABLE IF NOT EXISTS content_visitors (
  slot TEXT NOT NULL,
  content TEXT NOT NULL,
  visitor TEXT NOT NULL,
  first_day INTEGER NOT NULL,
  last_day INTEGER NOT NULL,
  PRIMARY KEY (slot, content, visitor)
) WITHOUT ROWID;

-- The audit: visitor-days each slot content was served, per day.
CREATE TABLE IF NOT EXISTS content_daily (
  day INTEGER NOT NULL,
  slot TEXT NOT NULL,
  content TEXT NOT NULL,
  served INTEGER NOT NULL,
  PRIMARY KEY (day, slot, content)
) WITHOUT ROWID;
