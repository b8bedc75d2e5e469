// Sources panel. "Open in document" buttons become select events carrying the passage
// (doc id, [start, end]); a click on a [n] marker anywhere in the chat brings its card into view.
element.addEventListener('click', (event) => {
  const button = event.target.closest('.open-doc');
  if (!button) return;
  trigger('select', {value: button.dataset.doc,
                     index: [Number(button.dataset.start), Number(button.dataset.end)]});
});
if (!window.ragCiteHandler) {
  window.ragCiteHandler = true;
  const show = (marker) => {
    const card = document.getElementById(`src-${marker.dataset.turn}-${marker.dataset.n}`);
    if (!card) return;
    const details = card.closest('details');
    if (details) details.open = true;
    if (card.offsetParent === null) document.querySelector('#side-tabs button[role=tab]')?.click();
    setTimeout(() => {
      card.scrollIntoView({behavior: 'smooth', block: 'center'});
      card.classList.remove('flash');
      void card.offsetWidth;
      card.classList.add('flash');
    }, 60);
  };
  document.addEventListener('click', (event) => {
    const marker = event.target.closest('a.cite');
    if (marker) { event.preventDefault(); show(marker); }
  });
  document.addEventListener('keydown', (event) => {
    const marker = event.target.closest && event.target.closest('a.cite');
    if (marker && (event.key === 'Enter' || event.key === ' ')) { event.preventDefault(); show(marker); }
  });
}
