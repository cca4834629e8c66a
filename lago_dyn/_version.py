"""The version of lago_dyn, in a module of its own so that any module can read it without importing the
package (the spec cache keys its entries by it)."""

__version__ = "0.1.0"
