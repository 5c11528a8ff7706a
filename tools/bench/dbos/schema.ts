/**
 * The DBOS baseline's application tables: the same state as Passo's three services, in one
 * database (a DBOS app owns its data). DBOS keeps its own workflow state in a system database.
 */
export const DBOS_APP_SCHEMA = `
CREATE TABLE products (
  sku text PRIMARY KEY, price_cents int NOT NULL,
  available int NOT NULL CHECK (available >= 0), reserved int NOT NULL DEFAULT 0, sold int NOT NULL DEFAULT 0);
CREATE TABLE customers (id text PRIMARY KEY, balance_cents bigint NOT NULL CHECK (balance_cents >= 0));
CREATE TABLE orders (
  id uuid PRIMARY KEY, customer_id text NOT NULL, items jsonb NOT NULL, status text NOT NULL,
  total_cents int, cancellation_reason text,
  created_at timestamptz(3) NOT NULL DEFAULT now(), updated_at timestamptz(3) NOT NULL DEFAULT now());
CREATE TABLE reservations (order_id uuid PRIMARY KEY, status text NOT NULL);
CREATE TABLE payments (order_id uuid PRIMARY KEY, customer_id text NOT NULL, amount_cents int NOT NULL);
`;
