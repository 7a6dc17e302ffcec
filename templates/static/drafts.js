// A form sent after the session ended is not saved: the server sends the
// browser to sign in and, after it, back to the form's page. What was typed
// is kept in this tab (sessionStorage) from the moment such a form is sent,
// and filled in again on that page. Only forms marked data-keep-draft, and
// only their text fields, choices and ticks: never a password or a form token.
const KEY = 'parley.unsent';
const MAX_AGE_MS = 3600 * 1000;
const BOUNCE_MS = 5 * 60 * 1000;   // from sending the form to the sign-in page
const here = location.pathname + location.search;
// who is signed in: a form kept for one person is never filled in for another
// signing in on the same tab
const viewer = document.querySelector('main')?.dataset.viewer ?? '';

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

let drafts = load();
if (location.pathname === '/login') {
  // A form answered with sign-in was not saved: sign-in names its page
  // (next) and leads back there. Anything else sent earlier was answered.
  const query = new URLSearchParams(location.search);
  const next = query.get('unsent') === '1' ? query.get('next') : null;   // (the server says a form was refused)
  const bounced = (d) => d.page === next && Date.now() - d.at < BOUNCE_MS;
  drafts = drafts.filter((d) => d.kept || bounced(d));
  for (const d of drafts) d.kept = true;
  if (drafts.length) document.querySelector('[data-draft-kept]')?.removeAttribute('hidden');
} else {
  // any other page answered it (saved, or an error page whose Back keeps it)
  const mine = drafts.find((d) => d.kept && d.page === here && d.who === viewer);
  const form = mine && [...document.querySelectorAll('form[data-keep-draft]')]
    .find((f) => formKey(f) === mine.form);
  if (form) {
    for (const el of form.elements) {
      if (typed(el) && Object.hasOwn(mine.fields, el.name)) el.value = mine.fields[el.name];
      if (ticked(el)) el.checked = mine.ticked.includes(`${el.name}=${el.value}`);
    }
    form.closest('details')?.setAttribute('open', '');
    document.querySelector('[data-draft-restored]')?.removeAttribute('hidden');
  }
  drafts = drafts.filter((d) => d.kept && d !== mine && d.who === viewer);
}
store(drafts);

document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!form.matches('form[data-keep-draft]')) return;
  const fields = {};
  for (const el of form.elements) if (typed(el)) fields[el.name] = el.value;
  const ticks = [...form.elements].filter((el) => ticked(el) && el.checked).map((el) => `${el.name}=${el.value}`);
  const key = formKey(form);
  store([...load().filter((d) => d.page !== here || d.form !== key),
         { page: here, form: key, fields, ticked: ticks, who: viewer, at: Date.now() }]);
});
