// ---- start -------------------------------------------------------------------------------

const pages = { home, runs, editor, hydrate, run };
(pages[page] || home)().catch((error) => show(errorBox(error)));
