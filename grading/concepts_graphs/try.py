import importlib
import concepts_graphs

importlib.reload(concepts_graphs)  # your latest %%writefile
for n in (1, 2, 3):
    answer, why = getattr(concepts_graphs, f"Q{n}_ANSWER", None), getattr(concepts_graphs, f"Q{n}_WHY", "")
    print(f"Q{n}: {sorted(answer) if isinstance(answer, (set, list)) else answer!r}, "
          f"reason of {len(str(why).split())} words")
