"""Weather data for the tropospheric correction, used offline from local folders.

- :mod:`~minopy.weather.stack_info`: dates, acquisition hour and area of a stack;
- :mod:`~minopy.weather.era5`: ERA5 GRIB file names (MintPy's), inventory of a weather folder,
  delay through PyAPS;
- :mod:`~minopy.weather.gacos`: GACOS ``.ztd`` products: inventory, reading, delay;
- :mod:`~minopy.weather.grib`: reading/checking ERA5 GRIB files with ecCodes;
- :mod:`~minopy.weather.delay_file`: the MintPy delay time-series file, written atomically;
- :mod:`~minopy.weather.download`: fetching ERA5 files where a network exists (never at run time).
"""
