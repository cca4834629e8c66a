"""The spec as lago_dyn reads it: sources (path, URL, dict), overlays, the cache, dialects per
OpenAPI version, `$ref` resolution and the operations (`model.Spec`), Python names."""
