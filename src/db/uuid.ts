/** A UUID as PostgreSQL prints it (any case): checked before a value is used as an id, so that a malformed one is "not found", not a database error. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
