// The error page's link to the page before it: where that page is the one the
// browser came from, go back in its history instead, so the form there still
// holds what was typed (following the link loads it afresh, empty). Without
// this script the link simply loads the page.
for (const link of document.querySelectorAll('a[data-history-back]')) {
  link.addEventListener('click', (event) => {
    if (history.length > 1 && document.referrer === link.href) {
      event.preventDefault();
      history.back();
    }
  });
}
