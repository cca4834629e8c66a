"""Operations as Python functions: signatures, lazy docstrings, tag groups (`functions`), the
field trees and examples `help()` and `describe` show (`describe`, `examples`)."""
