from local.stack import main

# Guarded: the execution environments' processes (multiprocessing "spawn") import the main
# module again, and must not start a second stack.
if __name__ == "__main__":
    main()
