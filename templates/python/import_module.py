import __module__
