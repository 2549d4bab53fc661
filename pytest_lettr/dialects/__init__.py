"""HTTP dialects: thin translations between a wire format and the account state."""
