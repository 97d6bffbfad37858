import importlib
import lists

importlib.reload(lists)  # your latest %%writefile
print("running_total([1, 2, 3]) =", lists.running_total([1, 2, 3]))
