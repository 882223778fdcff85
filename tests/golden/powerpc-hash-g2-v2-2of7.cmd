lazycheck verify powerpc-hash-g2-v2-2of7 --no-timings
