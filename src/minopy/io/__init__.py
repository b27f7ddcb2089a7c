"""File input/output: ISCE-format rasters, HDF5 stacks and metadata."""
