lazycheck verify arm64-tolerate-nesting-batching --no-timings
