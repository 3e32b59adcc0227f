"""One module per question family; each builds a pool of checked candidates for one video."""
