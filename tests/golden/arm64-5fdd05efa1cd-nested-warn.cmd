lazycheck verify arm64-5fdd05efa1cd-nested-warn --no-timings
