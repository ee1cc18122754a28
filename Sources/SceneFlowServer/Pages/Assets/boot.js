// ---- start -------------------------------------------------------------------------------

const pages = { home, runs, editor, hydrate, run, products, product, queue };
(pages[page] || home)().catch((error) => show(errorBox(error)));
