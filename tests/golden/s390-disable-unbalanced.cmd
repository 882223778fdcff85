lazycheck verify s390-disable-unbalanced --no-timings
