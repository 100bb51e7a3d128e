import nbformat as nbf

nb = nbf.v4.new_notebook()
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell
nb.cells = [
    md("# mlops-jupyter quickstart\n\nTrack three models on scikit-learn's breast-cancer data with `%%track`, "
       "then find the best run. Nothing to configure: runs go to the nearest `.mlops/` store "
       "(or `MLOPS_STORE`)."),
    code("%load_ext mlops_jupyter\nimport mlops_jupyter as mj"),
    code("from sklearn.datasets import load_breast_cancer\n"
         "from sklearn.model_selection import train_test_split\n\n"
         "data = load_breast_cancer(as_frame=True)\n"
         "X_train, X_test, y_train, y_test = train_test_split(\n"
         "    data.data, data.target, test_size=0.25, random_state=0, stratify=data.target)\n"
         "X_train.shape, X_test.shape"),
    md("A tracked cell records its code, the literal settings (`C = ...`), every fitted estimator "
       "(saved with skops), the training frame it was fitted on (snapshotted once, deduplicated), "
       "and numbers whose names look like metrics."),
    code("%%track logreg -e quickstart\n"
         "from sklearn.linear_model import LogisticRegression\n"
         "from sklearn.pipeline import make_pipeline\n"
         "from sklearn.preprocessing import StandardScaler\n"
         "from sklearn.metrics import accuracy_score, f1_score\n\n"
         "C = 0.5\n"
         "model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=1000))\n"
         "model.fit(X_train, y_train)\n"
         "accuracy = accuracy_score(y_test, model.predict(X_test))\n"
         "f1 = f1_score(y_test, model.predict(X_test))"),
    code("%%track forest -e quickstart\n"
         "from sklearn.ensemble import RandomForestClassifier\n\n"
         "n_estimators = 200\n"
         "max_depth = 6\n"
         "forest = RandomForestClassifier(n_estimators=n_estimators, max_depth=max_depth, random_state=0)\n"
         "forest.fit(X_train, y_train)\n"
         "accuracy = accuracy_score(y_test, forest.predict(X_test))\n"
         "f1 = f1_score(y_test, forest.predict(X_test))\n"
         "# a learning curve: accuracy of the first n trees, logged as steps\n"
         "import numpy as np\n"
         "votes = np.stack([tree.predict_proba(X_test.to_numpy()) for tree in forest.estimators_])\n"
         "for n in (10, 25, 50, 100, 200):\n"
         "    mj.log_metric('val_accuracy', accuracy_score(y_test, votes[:n].mean(0).argmax(1)), step=n)"),
    code("%%track boosting-sweep -e quickstart\n"
         "from sklearn.ensemble import GradientBoostingClassifier\n"
         "from sklearn.model_selection import GridSearchCV\n\n"
         "search = GridSearchCV(GradientBoostingClassifier(n_estimators=50, random_state=0),\n"
         "                      {'learning_rate': [0.05, 0.2], 'max_depth': [2, 3]}, cv=3)\n"
         "search.fit(X_train, y_train)\n"
         "accuracy = accuracy_score(y_test, search.predict(X_test))"),
    md("Every run, one row each; the filter language is parsed, never `eval`-ed."),
    code("mj.runs(experiment='quickstart', filter='parent_run_id is null', order_by='metrics.accuracy desc')"
         "[['name', 'status', 'duration', 'metrics.accuracy', 'metrics.f1']]"),
    code("best = mj.runs(experiment='quickstart', filter='metrics.accuracy is not null and parent_run_id is null',\n"
         "               order_by='metrics.accuracy desc', limit=1).run_id[0]\n"
         "record = mj.get_run(best)\n"
         "record"),
    md("The training data was snapshotted once: the three runs share one `X_train` version."),
    code("mj.snapshots()[['name', 'version', 'n_rows', 'n_columns', 'fingerprint']]"),
    md("The model comes back from the store (skops, no pickle) and predicts as before."),
    code("reloaded = record.load_model()\n"
         "f'{record.name}: test accuracy of the reloaded model = {reloaded.score(X_test, y_test):.4f}'"),
]
nbf.write(nb, "example_notebooks/quickstart.ipynb")
