lazycheck verify lru-gen-look-around-s390-unbatched --no-timings
