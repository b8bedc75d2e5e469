// Sources panel. "Open in document" buttons become select events carrying the passage
// (doc id, [start, end]); a click on a [n] marker (a link to #src-<turn>-<n>) anywhere in the
// chat unfolds its answer's sources, scrolls its card into view and flashes it.
element.addEventListener('click', (event) => {
  const button = event.target.closest('.open-doc');
  if (!button) return;
  trigger('select', {value: button.dataset.doc,
                     index: [Number(button.dataset.start), Number(button.dataset.end)]});
});
if (!window.ragCiteHandler) {
  window.ragCiteHandler = true;
  document.addEventListener('click', (event) => {
    const marker = event.target.closest('a.cite');
    if (!marker) return;
    event.preventDefault();
    const card = document.getElementById(marker.getAttribute('href').slice(1));
    if (!card) return;
    const details = card.closest('details');
    if (details) details.open = true;
    if (card.offsetParent === null) document.querySelector('#side-tabs button[role=tab]')?.click();
    setTimeout(() => {
      card.scrollIntoView({behavior: 'smooth', block: 'center'});
      card.classList.remove('flash');
      void card.offsetWidth;  // restart the animation
      card.classList.add('flash');
    }, 80);
  });
}
