lazycheck verify g3v4-resume-unpaused --no-timings
