lazycheck verify sparc64-g2-v2-2of7 --no-timings
