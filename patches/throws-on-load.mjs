// A patch that fails while its module evaluates: every node must refuse it (LOAD_FAILED)
// and keep serving with its current code.
throw new Error('this patch throws while loading');
