/* latest.js — when the same thing is asked for again before the earlier answer came back,
 * only the answer to the latest request draws. */

// latestOnly numbers the requests of one kind (a panel's loads, a search as one types, a
// sign-in): begin() before each request returns isLatest, which stays true until the next
// begin(). An answer checks it before it draws, so a slower answer to an older request,
// arriving after a newer one was asked for, is dropped instead of drawing over it.
// cancel() drops the answers to every request begun so far (the panel is closed, signed out).
//
//   const loads = latestOnly();
//   async function load() {
//     const isLatest = loads.begin();
//     const res = await api(...);
//     if (!isLatest()) return; // a newer load is on its way: its answer draws
//     draw(res);
//   }
export function latestOnly() {
  let begun = 0;
  return {
    begin() {
      const mine = ++begun;
      return () => mine === begun;
    },
    cancel() { begun++; },
  };
}
