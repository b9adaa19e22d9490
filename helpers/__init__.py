"""Helper package shared by the vanishing-gradients course notebooks; import its modules on
demand (``from helpers.data import load_circles``). Importing it configures nothing."""

from helpers.seeding import seed_everything

__all__ = ["seed_everything"]
__version__ = "0.2.0"
