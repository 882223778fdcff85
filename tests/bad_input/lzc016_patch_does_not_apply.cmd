verify powerpc-hash-preemptible --patch tests/bad_input/lzc016_patch_does_not_apply.diff
