__version__ = "0.0.1"

import warnings as _warnings
# fastai 2.8.7's import calls torch.jit.script, which torch 2.14 deprecates: silence that one message, not the category
_warnings.filterwarnings('ignore', message=r'`torch\.jit\.script` is deprecated', category=FutureWarning)
