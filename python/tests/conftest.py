import os
import sys

# the package lives in python/, beside this folder
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
