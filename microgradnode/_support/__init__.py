"""Small helpers shared by every layer, importing nothing of the package: writing files
atomically (``files``), optional dependencies and the extras that bring them (``extras``),
progress lines on a terminal (``progress``), and the import paths from before the
package had layers (``old_paths``).
"""
