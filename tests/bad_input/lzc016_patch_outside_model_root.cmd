verify powerpc-hash-preemptible --patch tests/bad_input/lzc016_patch_outside_model_root.diff
