"""Personal access tokens: Bearer credentials for REST only, limited to scopes, hashed at rest (SPEC v3)."""
