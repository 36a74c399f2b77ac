"""Plain domain types shared by every layer: enums, errors, the clock. No I/O here."""
