# policy/module.mk: policy/default.c includes policy/default.policy with the
# assembler's .incbin, which the compiler's dependency files do not see.
$(call obj,policy/default.c): policy/default.policy
