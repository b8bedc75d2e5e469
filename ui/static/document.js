// Document viewer: scroll the highlighted quote into view whenever a document is shown.
watch('value', () => {
  let tries = 0;
  const reveal = () => {
    const mark = element.querySelector('#doc-quote');
    if (!mark) return;
    if (mark.offsetParent === null && tries++ < 40) { setTimeout(reveal, 50); return; }
    mark.scrollIntoView({block: 'center'});
  };
  reveal();
});
