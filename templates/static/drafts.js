// A form sent after the session ended is not saved: the server sends the
// browser to sign in and, after it, back to the form's page. What was typed
// is kept in this tab (sessionStorage) from the moment such a form is sent,
// and filled in again on that page. The language switch, which loads the page
// anew, takes what was typed along the same way. Only forms marked
// data-keep-draft, and only their text fields, choices and ticks: never a
// password or a form token.
const KEY = 'parley.unsent';
const MAX_AGE_MS = 3600 * 1000;
const BOUNCE_MS = 5 * 60 * 1000;   // from sending the form to the sign-in page
const here = location.pathname + location.search;
// who is signed in: a form kept for one person is never filled in for another
// signing in on the same tab
const viewer = document.querySelector('main')?.dataset.viewer ?? '';
// where the language switch leads: this page, or on a page answering a form
// (its errors) the form's page
const langBack = document.querySelector('form[action="/language"] [name=back]')?.value;

function load() {
  try {
    const list = JSON.parse(sessionStorage.getItem(KEY) || '[]');
    return Array.isArray(list) ? list.filter((d) => Date.now() - d.at < MAX_AGE_MS) : [];
  } catch {
    return [];
  }
}
function store(list) {
  try {
    if (list.length) sessionStorage.setItem(KEY, JSON.stringify(list));
    else sessionStorage.removeItem(KEY);
  } catch { /* storage full or off: nothing is kept */ }
}
const typed = (el) => el.name && (el.tagName === 'TEXTAREA' || el.tagName === 'SELECT'
  || (el.tagName === 'INPUT' && ['text', 'email', 'number', 'url', 'search'].includes(el.type)));
const ticked = (el) => el.name && el.tagName === 'INPUT' && ['checkbox', 'radio'].includes(el.type);
// Which form: its action and the record it edits (a page may hold an edit
// form per rule, and one for a new rule, all sent to one address).
const formKey = (form) => `${form.getAttribute('action')}#${form.elements.namedItem('id')?.value ?? ''}`;
// what the person typed or chose, as against what the page came with (a
// composer may start with a mention or a canned reply's text)
const changed = (form) => [...form.elements].some((el) => (el.tagName === 'SELECT'
  ? [...el.options].some((o) => o.selected !== o.defaultSelected)
  : typed(el) ? el.value !== el.defaultValue : ticked(el) && el.checked !== el.defaultChecked));
function draftOf(form, page) {
  const fields = {};
  for (const el of form.elements) if (typed(el)) fields[el.name] = el.value;
  const ticks = [...form.elements].filter((el) => ticked(el) && el.checked).map((el) => `${el.name}=${el.value}`);
  return { page, form: formKey(form), fields, ticked: ticks, who: viewer, at: Date.now() };
}
const fresh = (d) => Date.now() - d.at < BOUNCE_MS;
// to be filled in: kept through sign-in, or taken along by the language
// switch (for the page it leads to, not a later visit)
const due = (d) => d.kept && (!d.lang || fresh(d));

let drafts = load();
if (location.pathname === '/login') {
  // A form answered with sign-in was not saved: sign-in names its page
  // (next) and leads back there. Anything else sent earlier was answered.
  const query = new URLSearchParams(location.search);
  const next = query.get('unsent') === '1' ? query.get('next') : null;   // (the server says a form was refused)
  drafts = drafts.filter((d) => d.kept || (d.page === next && fresh(d)));
  for (const d of drafts) d.kept = true;
  if (drafts.length) document.querySelector('[data-draft-kept]')?.removeAttribute('hidden');
} else {
  // any other page answered it (saved, or an error page whose Back keeps it)
  const mine = drafts.filter((d) => due(d) && d.page === here && d.who === viewer);
  for (const d of mine) {
    const form = [...document.querySelectorAll('form[data-keep-draft]')].find((f) => formKey(f) === d.form);
    if (!form) continue;
    for (const el of form.elements) {
      if (typed(el) && Object.hasOwn(d.fields, el.name)) el.value = d.fields[el.name];
      if (ticked(el)) el.checked = d.ticked.includes(`${el.name}=${el.value}`);
    }
    form.closest('details')?.setAttribute('open', '');
    document.querySelector(`[data-draft-restored=${d.lang ? 'lang' : 'signin'}]`)?.removeAttribute('hidden');
  }
  // (an error page keeps what its form sent until its language switch takes it along)
  const answered = (d) => langBack !== here && d.page === langBack && fresh(d);
  drafts = drafts.filter((d) => (due(d) || answered(d)) && !mine.includes(d) && d.who === viewer);
}
store(drafts);

document.addEventListener('submit', (event) => {
  const form = event.target;
  if (form.matches('form[action="/language"]')) {
    // nothing is sent: the page it leads to fills in the forms again, once
    const taken = [...document.querySelectorAll('form[data-keep-draft]')].filter(changed)
      .map((f) => ({ ...draftOf(f, langBack), kept: true, lang: true }));
    const sent = (d) => !d.kept && d.page === langBack && d.who === viewer;   // (from an error page)
    store([...load().filter((d) => !taken.some((t) => t.page === d.page && t.form === d.form))
      .map((d) => (sent(d) ? { ...d, kept: true, lang: true, at: Date.now() } : d)), ...taken]);
    return;
  }
  if (!form.matches('form[data-keep-draft]')) return;
  const d = draftOf(form, here);
  store([...load().filter((k) => k.page !== here || k.form !== d.form), d]);
});
