"""Speech corpora for the speech tasks (NeurIPS 2018 §4: TIMIT frame-wise phones; eLife Appendix 1 §3: Google Speech
Commands keywords), read from the corpora's own layouts, their features, and an offline synthetic corpus.

- :mod:`.sphere`: NIST SPHERE audio (TIMIT's ``.WAV``) and RIFF WAV, read and written;
- :mod:`.timit`: the TIMIT layout (``TRAIN/TEST/DR*/speaker/*.WAV`` + ``.PHN``), Halberstadt's 3696/400/192 split,
  the 61 phones and the 39-phone folding for scoring, frame labels;
- :mod:`.commands`: the Speech Commands v0.02 layout (word folders, ``validation_list.txt``, ``testing_list.txt``,
  ``_background_noise_``), 12 classes with silence and unknown;
- :mod:`.features`: MFCCs with librosa, cached on disk keyed by their parameters;
- :mod:`.synth`: ``lsnn data synth-speech``: both layouts spoken by espeak-ng and flite, offline.

Nothing here needs PyTorch; it is part of the training wing because only the trainer consumes it.
"""
