"""The reference the package is tested against: the method in NumPy, and the paper's simulations."""
